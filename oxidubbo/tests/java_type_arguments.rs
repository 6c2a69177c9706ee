//! The Java types of `oxidubbo::hessian2::java` as `#[oxidubbo::service]` arguments and
//! results: the descriptors name the Java classes (what a Java provider matches its method
//! by), and the values cross the dubbo protocol intact.
#![allow(missing_docs)]

use std::sync::{Arc, Mutex};

use oxidubbo::hessian2::java::{Array, BigDecimal, Instant, LocalDate, LocalDateTime, Uuid};
use oxidubbo::{
    BaseInvoker, DubboProtocol, DubboService, Invocation, Invoker, Protocol, RpcError, RpcResult,
    ServiceInvoker, Url, Value,
};

#[oxidubbo::service(interface = "org.example.BookingService")]
pub trait Booking {
    async fn book(
        &self,
        day: LocalDate,
        price: BigDecimal,
        seats: Array<i32>,
        guest: Uuid,
    ) -> Result<LocalDateTime, RpcError>;
    async fn cancel(&self, guest: Option<Uuid>, at: Instant) -> Result<Vec<Uuid>, RpcError>;
}

struct Impl;

#[oxidubbo::async_trait]
impl Booking for Impl {
    async fn book(
        &self,
        day: LocalDate,
        price: BigDecimal,
        seats: Array<i32>,
        guest: Uuid,
    ) -> Result<LocalDateTime, RpcError> {
        if price.as_str() != "12.50" || seats.0 != [3, 4] || guest.most_sig_bits() != 1 {
            return Err(RpcError::business(format!(
                "unexpected {price} {seats:?} {guest}"
            )));
        }
        let noon = oxidubbo::hessian2::java::LocalTime::new(12, 0, 0, 0)
            .map_err(|e| RpcError::business(e.to_string()))?;
        Ok(LocalDateTime::new(day, noon))
    }

    async fn cancel(&self, guest: Option<Uuid>, at: Instant) -> Result<Vec<Uuid>, RpcError> {
        Ok(guest
            .into_iter()
            .chain([Uuid(u128::from(at.nanos()))])
            .collect())
    }
}

fn url(port: u16) -> Arc<Url> {
    Arc::new(
        Url::parse(&format!(
            "dubbo://127.0.0.1:{port}/{}",
            <dyn Booking as DubboService>::INTERFACE
        ))
        .unwrap(),
    )
}

#[tokio::test]
async fn java_types_cross_the_dubbo_protocol() {
    let port = oxidubbo_integration_tests::free_port();
    let protocol = DubboProtocol::new();
    let _e = protocol
        .export(Arc::new(ServiceInvoker::new(
            url(port),
            BookingProvider::new(Arc::new(Impl)),
        )))
        .await
        .unwrap();
    let client = BookingClient::new(protocol.refer(url(port)).await.unwrap());
    let day = LocalDate::new(2024, 2, 29).unwrap();
    let booked = client
        .book(
            day,
            "12.50".parse().unwrap(),
            Array(vec![3, 4]),
            Uuid::from_sig_bits(1, -1),
        )
        .await
        .unwrap();
    assert_eq!(booked.to_string(), "2024-02-29T12:00");
    let guest = Uuid::from_sig_bits(1, 2);
    let at = Instant::new(1_700_000_000, 7).unwrap();
    assert_eq!(
        client.cancel(Some(guest), at).await.unwrap(),
        [guest, Uuid(7)]
    );
    assert_eq!(client.cancel(None, at).await.unwrap(), [Uuid(7)]);
    protocol.destroy().await;
}

/// Records the descriptor of every invocation and answers `Null`.
struct Recorder {
    base: BaseInvoker,
    seen: Mutex<Vec<(String, String)>>,
}

#[oxidubbo::async_trait]
impl Invoker for Recorder {
    async fn invoke(&self, inv: Invocation) -> Result<RpcResult, RpcError> {
        let entry = (
            inv.method_name().to_owned(),
            inv.parameter_types().to_owned(),
        );
        self.seen.lock().unwrap().push(entry);
        Ok(RpcResult::new(Value::Null))
    }
    fn url(&self) -> Option<Arc<Url>> {
        self.base.url()
    }
    fn is_available(&self) -> bool {
        true
    }
    fn is_destroyed(&self) -> bool {
        false
    }
    fn destroy(&self) {}
}

#[tokio::test]
async fn descriptors_name_the_java_classes() {
    let recorder = Arc::new(Recorder {
        base: BaseInvoker::new(url(0)),
        seen: Mutex::new(vec![]),
    });
    let client = BookingClient::new(recorder.clone());
    let day = LocalDate::new(2024, 1, 1).unwrap();
    let _ = client
        .book(day, BigDecimal::from(1), Array(vec![]), Uuid(0))
        .await;
    let _ = client.cancel(None, Instant::new(0, 0).unwrap()).await;
    let seen = recorder.seen.lock().unwrap().clone();
    assert_eq!(
        seen,
        [
            (
                "book".to_owned(),
                "Ljava/time/LocalDate;Ljava/math/BigDecimal;[ILjava/util/UUID;".to_owned()
            ),
            (
                "cancel".to_owned(),
                "Ljava/util/UUID;Ljava/time/Instant;".to_owned()
            ),
        ]
    );
}
