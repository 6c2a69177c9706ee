//! The generator is not greeter-only: the richer test packages (a package with dots,
//! several services, a service in an imported package, nested messages as requests,
//! well-known types as requests and responses, an rpc named by a Rust keyword, a service
//! without rpcs) compile, and their services serve calls of each kind, in both formats.

use std::sync::Arc;

use futures_util::{StreamExt, stream};
use oxidubbo::DubboService;
use oxidubbo::triple::prost_types::Timestamp;
use oxidubbo::triple::{BoxStream, Code, PayloadFormat, Request, Response, Status, Streaming};
use oxidubbo_idl_tests::acme::common::{
    self, Health, HealthCheckRequest, HealthCheckResponse, Money, health_check_response,
};
use oxidubbo_idl_tests::acme::shop::v1::{
    Catalog, ListProductsRequest, ListProductsResponse, Order, OrderReceipt, Orders, Product,
    Reserved, order, product,
};
use oxidubbo_idl_tests::in_process;

struct Shop;

fn a_product(id: &str) -> Product {
    Product {
        product_id: id.into(),
        display_name: format!("product {id}"),
        category: product::Category::Games as i32,
        ..Product::default()
    }
}

#[oxidubbo::async_trait]
impl Catalog for Shop {
    async fn list_products(
        &self,
        request: Request<ListProductsRequest>,
    ) -> Result<Response<ListProductsResponse>, Status> {
        let size = request.into_inner().page_size;
        let products = (0..size).map(|i| a_product(&i.to_string())).collect();
        Ok(Response::new(ListProductsResponse {
            products,
            next_page_token: "next".into(),
        }))
    }

    async fn get_product(
        &self,
        request: Request<product::Variant>,
    ) -> Result<Response<Product>, Status> {
        let variant = request.into_inner();
        Ok(Response::new(Product {
            variants: vec![variant.clone()],
            ..a_product(&variant.sku)
        }))
    }

    async fn watch_products(&self, _: Request<()>) -> Result<Response<BoxStream<Product>>, Status> {
        let products = ["a", "b"].map(|id| Ok(a_product(id)));
        Ok(Response::new(Box::pin(stream::iter(products))))
    }

    async fn r#match(&self, request: Request<Product>) -> Result<Response<()>, Status> {
        match request.into_inner().product_id.as_str() {
            "known" => Ok(Response::new(())),
            other => Err(Status::not_found(format!("no product {other}"))),
        }
    }
}

#[oxidubbo::async_trait]
impl Orders for Shop {
    async fn place_orders(
        &self,
        request: Request<Streaming<Order>>,
    ) -> Result<Response<OrderReceipt>, Status> {
        let mut orders = request.into_inner();
        let mut lines = 0;
        let mut units = 0;
        while let Some(order) = orders.message().await? {
            lines += order.lines.len() as i32;
            units += order
                .lines
                .iter()
                .map(|l| i64::from(l.quantity))
                .sum::<i64>();
        }
        Ok(Response::new(OrderReceipt {
            order_id: "o-1".into(),
            total: Some(Money {
                currency_code: "EUR".into(),
                units,
                nanos: 0,
            }),
            line_count: lines,
        }))
    }

    async fn track(
        &self,
        request: Request<Streaming<order::Line>>,
    ) -> Result<Response<BoxStream<Timestamp>>, Status> {
        let arrivals = request.into_inner().map(|line| {
            line.map(|l| Timestamp {
                seconds: i64::from(l.quantity) * 86_400,
                nanos: 0,
            })
        });
        Ok(Response::new(Box::pin(arrivals)))
    }
}

#[oxidubbo::async_trait]
impl Health for Shop {
    async fn check(
        &self,
        request: Request<HealthCheckRequest>,
    ) -> Result<Response<HealthCheckResponse>, Status> {
        let status = if request.into_inner().service == "acme.shop.v1.Catalog" {
            health_check_response::ServingStatus::Serving
        } else {
            health_check_response::ServingStatus::NotServing
        };
        Ok(Response::new(HealthCheckResponse {
            status: status as i32,
        }))
    }
}

impl Reserved for Shop {}

#[test]
fn services_are_named_by_package_and_methods_by_proto_name() {
    assert_eq!(
        <dyn Catalog as DubboService>::INTERFACE,
        "acme.shop.v1.Catalog"
    );
    assert_eq!(
        <dyn Catalog as DubboService>::METHODS,
        ["ListProducts", "GetProduct", "WatchProducts", "Match"]
    );
    assert_eq!(
        <dyn Orders as DubboService>::INTERFACE,
        "acme.shop.v1.Orders"
    );
    assert_eq!(
        <dyn Orders as DubboService>::METHODS,
        ["PlaceOrders", "Track"]
    );
    assert_eq!(
        <dyn Health as DubboService>::INTERFACE,
        "acme.common.Health"
    );
    assert_eq!(<dyn Reserved as DubboService>::METHODS, [] as [&str; 0]);
    for serialization in [
        <dyn Catalog as DubboService>::SERIALIZATION,
        <dyn Health as DubboService>::SERIALIZATION,
    ] {
        assert_eq!(serialization, Some("protobuf"));
    }
    assert!(!common::FILE_DESCRIPTOR_SET.is_empty());
}

#[tokio::test]
async fn the_catalog_serves_nested_and_well_known_messages() {
    let served = in_process::<dyn Catalog>(Arc::new(Shop)).await;
    let client = &served.client;

    let page = client
        .list_products(ListProductsRequest {
            page_size: 3,
            page_token: String::new(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(page.products.len(), 3);
    assert_eq!(page.next_page_token, "next");

    let variant = product::Variant {
        sku: "s-1".into(),
        stock_count: 4,
    };
    let product = client
        .get_product(variant.clone())
        .await
        .unwrap()
        .into_inner();
    assert_eq!(product.product_id, "s-1");
    assert_eq!(product.variants, [variant]);

    let watched: Vec<String> = client
        .watch_products(())
        .await
        .unwrap()
        .into_inner()
        .map(|p| p.unwrap().product_id)
        .collect()
        .await;
    assert_eq!(watched, ["a", "b"]);

    client.r#match(a_product("known")).await.unwrap();
    let missing = client.r#match(a_product("other")).await.unwrap_err();
    assert_eq!(missing.code(), Code::NotFound);
    assert_eq!(missing.message(), "no product other");
}

#[tokio::test]
async fn orders_stream_both_ways_in_both_formats() {
    let served = in_process::<dyn Orders>(Arc::new(Shop)).await;
    for format in [PayloadFormat::Protobuf, PayloadFormat::Json] {
        let client = served.client.clone().with_format(format);
        let line = |quantity| order::Line {
            product_id: "p".into(),
            quantity,
        };
        let orders = [
            Order {
                lines: vec![line(1), line(2)],
                audit: None,
            },
            Order {
                lines: vec![line(4)],
                audit: None,
            },
        ];
        let receipt = client
            .place_orders(stream::iter(orders))
            .await
            .unwrap()
            .into_inner();
        assert_eq!(receipt.line_count, 3, "{format:?}");
        assert_eq!(receipt.total.unwrap().units, 7, "{format:?}");

        let arrivals: Vec<i64> = client
            .track(stream::iter([line(1), line(3)]))
            .await
            .unwrap()
            .into_inner()
            .map(|t| t.unwrap().seconds)
            .collect()
            .await;
        assert_eq!(arrivals, [86_400, 3 * 86_400], "{format:?}");
    }
}

#[tokio::test]
async fn a_service_of_the_imported_package_and_one_without_rpcs() {
    let served = in_process::<dyn Health>(Arc::new(Shop)).await;
    let reply = served
        .client
        .check(HealthCheckRequest {
            service: "acme.shop.v1.Catalog".into(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        reply.status(),
        health_check_response::ServingStatus::Serving
    );

    let reserved = in_process::<dyn Reserved>(Arc::new(Shop)).await;
    let err = reserved
        .invoker
        .invoke(oxidubbo::Invocation::new("Anything", "", vec![]))
        .await
        .unwrap_err();
    assert_eq!(err.grpc_code(), 12, "{err}");
}
