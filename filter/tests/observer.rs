//! Observers: the chain runs the hooks of a row of them in one hop, in chain order around
//! the rest of it — `begin` may change, watch or answer the call, `end` innermost first
//! with the result its place sees (which it may change), `abandon` when the call is
//! dropped — and a filter driving one directly (`observe`) gets the same.

mod support;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use oxidubbo_filter::{
    Begin, Called, Filter, FilteredInvoker, Next, Observation, Observer, observe,
};
use oxidubbo_invoker::{
    Invocation, Invoker, RpcError, RpcResult, ServiceInvoker, Value, service_fn,
};
use support::{recording_service, say_hello, url};

type Log = Arc<Mutex<Vec<String>>>;

/// Logs its hooks as `<name> begin|end ok|end err|abandon`; watches only `sayHello`.
struct Watcher {
    name: &'static str,
    log: Log,
}

impl Observer for Watcher {
    fn begin(&self, invocation: &mut Invocation) -> Begin {
        if invocation.method_name() != "sayHello" {
            return Begin::Pass;
        }
        self.log
            .lock()
            .unwrap()
            .push(format!("{} begin", self.name));
        Begin::Watch(Observation {
            slot: self.name.len(),
            stamp: 7,
        })
    }

    fn end(&self, observation: Observation, _: &Called, result: &mut Result<RpcResult, RpcError>) {
        assert_eq!((observation.slot, observation.stamp), (self.name.len(), 7));
        let outcome = if result.is_ok() { "ok" } else { "err" };
        let line = format!("{} end {outcome}", self.name);
        self.log.lock().unwrap().push(line);
    }

    fn abandon(&self, observation: Observation) {
        assert_eq!((observation.slot, observation.stamp), (self.name.len(), 7));
        self.log
            .lock()
            .unwrap()
            .push(format!("{} abandon", self.name));
    }
}

#[async_trait]
impl Filter for Watcher {
    async fn invoke(&self, next: Next<'_>, invocation: Invocation) -> Result<RpcResult, RpcError> {
        self.log
            .lock()
            .unwrap()
            .push(format!("{} invoke", self.name));
        observe(self, next, invocation).await
    }

    fn observer(&self) -> Option<&dyn Observer> {
        Some(self)
    }
}

/// An ordinary filter that logs, and refuses calls whose first argument is `"refuse"`.
struct Gate(Log);

#[async_trait]
impl Filter for Gate {
    async fn invoke(&self, next: Next<'_>, invocation: Invocation) -> Result<RpcResult, RpcError> {
        self.0.lock().unwrap().push("gate".into());
        if invocation.arguments().first().and_then(|v| v.as_str()) == Some("refuse") {
            return Err(RpcError::Forbidden("refused".into()));
        }
        next.invoke(invocation).await
    }
}

/// An observer as a filter: the chain runs its hooks, and `invoke` (for a caller driving
/// it directly) runs them through `observe`.
struct Observed<O>(O);

#[async_trait]
impl<O: Observer + 'static> Filter for Observed<O> {
    async fn invoke(&self, next: Next<'_>, invocation: Invocation) -> Result<RpcResult, RpcError> {
        observe(&self.0, next, invocation).await
    }

    fn observer(&self) -> Option<&dyn Observer> {
        Some(&self.0)
    }
}

fn watcher(name: &'static str, log: &Log) -> (&'static str, Arc<dyn Filter>) {
    (
        name,
        Arc::new(Watcher {
            name,
            log: Arc::clone(log),
        }),
    )
}

fn chain(filters: Vec<(&'static str, Arc<dyn Filter>)>) -> FilteredInvoker {
    let (service, _) = recording_service(url(""));
    FilteredInvoker::new(service, filters)
}

fn take(log: &Log) -> Vec<String> {
    std::mem::take(&mut *log.lock().unwrap())
}

#[tokio::test]
async fn hooks_run_in_chain_order_and_see_what_reaches_their_place() {
    let log = Log::default();
    let gate: (&str, Arc<dyn Filter>) = ("gate", Arc::new(Gate(Arc::clone(&log))));
    let chain = chain(vec![
        watcher("a", &log),
        watcher("bb", &log),
        gate,
        watcher("ccc", &log),
    ]);

    chain.invoke(say_hello("Ann")).await.unwrap();
    assert_eq!(
        take(&log),
        [
            // A row of observers runs in one hop: no `invoke` of theirs is called.
            "a begin",
            "bb begin",
            "gate",
            "ccc begin",
            "ccc end ok",
            "bb end ok",
            "a end ok"
        ]
    );

    // Refused by the gate: the observer behind it never sees the call.
    assert!(chain.invoke(say_hello("refuse")).await.is_err());
    assert_eq!(
        take(&log),
        ["a begin", "bb begin", "gate", "bb end err", "a end err"]
    );

    // A call an observer does not watch gets no hooks.
    chain
        .invoke(Invocation::new("echo", "", vec!["x".into()]))
        .await
        .unwrap();
    assert_eq!(take(&log), ["gate"]);
}

#[tokio::test]
async fn observers_in_a_row_all_observe() {
    let log = Log::default();
    // More than one hop holds: the ones past it run in a hop of their own.
    let names = [
        "a",
        "bb",
        "ccc",
        "dddd",
        "eeeee",
        "ffffff",
        "ggggggg",
        "hhhhhhhh",
        "iiiiiiiii",
    ];
    let chain = chain(names.iter().map(|n| watcher(n, &log)).collect());
    chain.invoke(say_hello("Ann")).await.unwrap();
    let lines = take(&log);
    for name in names {
        let begin = lines.iter().position(|l| *l == format!("{name} begin"));
        let end = lines.iter().position(|l| *l == format!("{name} end ok"));
        assert!(begin.unwrap() < end.unwrap(), "{name}: {lines:?}");
    }
    // Ends mirror begins.
    let order = |suffix: &str| -> Vec<String> {
        lines
            .iter()
            .filter(|l| l.ends_with(suffix))
            .map(|l| l.split(' ').next().unwrap().to_owned())
            .collect()
    };
    assert!(!lines.contains(&"a invoke".to_owned()), "{lines:?}");
    let mut ends = order(" end ok");
    ends.reverse();
    assert_eq!(order(" begin"), ends);
    assert_eq!(order(" begin"), names);
}

#[tokio::test]
async fn a_dropped_call_is_abandoned_not_ended() {
    let log = Log::default();
    let slow = ServiceInvoker::new(
        url(""),
        service_fn(|_inv: Invocation| async {
            tokio::time::sleep(Duration::from_secs(30)).await;
            Ok(RpcResult::new("late"))
        }),
    );
    let chain = FilteredInvoker::new(
        Arc::new(slow),
        vec![watcher("a", &log), watcher("bb", &log)],
    );
    let call = chain.invoke(say_hello("Ann"));
    let gave_up = tokio::time::timeout(Duration::from_millis(20), call).await;
    assert!(gave_up.is_err());
    assert_eq!(
        take(&log),
        ["a begin", "bb begin", "bb abandon", "a abandon"]
    );
}

#[tokio::test]
async fn a_filter_driving_an_observer_directly_gets_the_same_hooks() {
    let log = Log::default();
    let gate: (&str, Arc<dyn Filter>) = ("gate", Arc::new(Gate(Arc::clone(&log))));
    // Behind an ordinary filter that calls the observer's own `invoke`, as a filter that
    // does not know of observers would.
    struct Direct(Arc<Watcher>);
    #[async_trait]
    impl Filter for Direct {
        async fn invoke(&self, next: Next<'_>, inv: Invocation) -> Result<RpcResult, RpcError> {
            self.0.invoke(next, inv).await
        }
    }
    let direct = Direct(Arc::new(Watcher {
        name: "a",
        log: Arc::clone(&log),
    }));
    let chain = chain(vec![("direct", Arc::new(direct) as Arc<dyn Filter>), gate]);
    chain.invoke(say_hello("refuse")).await.unwrap_err();
    assert_eq!(take(&log), ["a invoke", "a begin", "gate", "a end err"]);
}

/// Answers calls whose first argument is `"answer"`, and makes the service see every
/// other call of `sayHello` with its argument upper-cased; logs its hooks.
struct Answerer(Log);

impl Observer for Answerer {
    fn begin(&self, invocation: &mut Invocation) -> Begin {
        self.0.lock().unwrap().push("answerer begin".into());
        let first = invocation.arguments().first().and_then(Value::as_str);
        if first == Some("answer") {
            return Begin::Answer(Ok(RpcResult::new("answered")));
        }
        if let Some(name) = first.map(str::to_uppercase) {
            *invocation = say_hello(&name).with_attachment("seen-by", "answerer");
        }
        Begin::Pass
    }
}

#[tokio::test]
async fn an_answer_skips_the_rest_and_reaches_the_observers_before_it() {
    let log = Log::default();
    let answerer: (&str, Arc<dyn Filter>) =
        ("answerer", Arc::new(Observed(Answerer(Arc::clone(&log)))));
    let gate: (&str, Arc<dyn Filter>) = ("gate", Arc::new(Gate(Arc::clone(&log))));
    let (service, seen) = recording_service(url(""));
    let chain = FilteredInvoker::new(
        service,
        vec![watcher("a", &log), answerer, watcher("bb", &log), gate],
    );

    let answer = chain.invoke(say_hello("answer")).await.unwrap();
    assert_eq!(answer.value.as_str(), Some("answered"));
    assert_eq!(take(&log), ["a begin", "answerer begin", "a end ok"]);
    assert!(seen.lock().unwrap().is_none(), "the service was called");

    // A call changed by `begin` goes on changed.
    let answer = chain.invoke(say_hello("ann")).await.unwrap();
    assert_eq!(answer.value.as_str(), Some("Hello, ANN"));
    let service_saw = seen.lock().unwrap().take().unwrap();
    assert_eq!(
        service_saw.attachments().get_str("seen-by"),
        Some("answerer")
    );
    assert_eq!(
        take(&log),
        [
            "a begin",
            "answerer begin",
            "bb begin",
            "gate",
            "bb end ok",
            "a end ok"
        ]
    );
}

/// Replaces an error result with its own answer; records the call its `end` is told of.
#[derive(Default)]
struct Rescuer {
    reads_call: bool,
    told: Mutex<Vec<(Option<String>, String)>>,
}

impl Observer for Rescuer {
    fn begin(&self, _: &mut Invocation) -> Begin {
        Begin::Watch(Observation::default())
    }

    fn end(&self, _: Observation, call: &Called, result: &mut Result<RpcResult, RpcError>) {
        let service = call.url().map(|u| u.service_key().to_string());
        let told = (service, call.method_name().to_owned());
        self.told.lock().unwrap().push(told);
        if let Err(e) = result {
            *result = Ok(RpcResult::new(format!("rescued: {e}")));
        }
    }

    fn reads_call(&self) -> bool {
        self.reads_call
    }
}

#[tokio::test]
async fn an_end_may_change_the_result_and_is_told_the_call_it_reads() {
    let log = Log::default();
    let reader = Arc::new(Observed(Rescuer {
        reads_call: true,
        ..Rescuer::default()
    }));
    let blind = Arc::new(Observed(Rescuer::default()));
    let gate: (&str, Arc<dyn Filter>) = ("gate", Arc::new(Gate(Arc::clone(&log))));
    let chain = chain(vec![
        watcher("a", &log),
        ("reader", Arc::clone(&reader) as Arc<dyn Filter>),
        ("blind", Arc::clone(&blind) as Arc<dyn Filter>),
        gate,
    ]);

    let answer = chain.invoke(say_hello("refuse")).await.unwrap();
    assert_eq!(
        answer.value.as_str(),
        Some("rescued: call rejected: refused")
    );
    // The observer before the rescue sees the rescued result.
    assert_eq!(take(&log), ["a begin", "gate", "a end ok"]);
    let service = Some(url("").service_key().to_string());
    assert_eq!(
        *reader.0.told.lock().unwrap(),
        [(service, "sayHello".to_owned())]
    );
    assert_eq!(*blind.0.told.lock().unwrap(), [(None, String::new())]);
}

/// Panics in `begin` of calls whose first argument is `"boom-begin"`, and in `end` of
/// calls whose first argument is `"boom-end"`.
struct Bomb;

impl Observer for Bomb {
    fn begin(&self, invocation: &mut Invocation) -> Begin {
        match invocation.arguments().first().and_then(Value::as_str) {
            Some("boom-begin") => panic!("begin blew up"),
            Some("boom-end") => Begin::Watch(Observation::default()),
            _ => Begin::Pass,
        }
    }

    fn end(&self, _: Observation, _: &Called, _: &mut Result<RpcResult, RpcError>) {
        panic!("end blew up");
    }
}

#[tokio::test]
async fn a_hook_that_panics_leaves_no_call_counted_by_the_observers_before_it() {
    use oxidubbo_filter::Graceful;
    use oxidubbo_filter::graceful::GracefulFilter;

    let graceful = Graceful::new();
    let counting: Arc<dyn Filter> = Arc::new(GracefulFilter::new(graceful.clone()));
    let chain = Arc::new(chain(vec![
        ("graceful", counting),
        ("bomb", Arc::new(Observed(Bomb)) as Arc<dyn Filter>),
    ]));
    for argument in ["boom-begin", "boom-end"] {
        let chain = Arc::clone(&chain);
        let call = tokio::spawn(async move { chain.invoke(say_hello(argument)).await });
        let failed = call.await.expect_err(argument);
        assert!(failed.is_panic(), "{argument}: {failed}");
        assert_eq!(
            graceful.in_flight(),
            0,
            "{argument}: the call is still counted"
        );
    }
    // The chain serves on.
    let answer = chain.invoke(say_hello("Ann")).await.unwrap();
    assert_eq!(answer.value.as_str(), Some("Hello, Ann"));
    assert_eq!(graceful.in_flight(), 0);
}
