//! Method names as Go services use them: a trait named the Go way (`method_names = "go"`:
//! `SayHello`) and one named the Java way (`sayHello`) each answer both spellings, as
//! dubbo-go's providers do, over dubbo and Triple; and each one's client calls the other's
//! provider.
//!
//! One test: the embedded registry is shared by every test of a binary.
#![allow(missing_docs)]

use std::sync::Arc;

use oxidubbo::config::{Config, ReferenceConfig};
use oxidubbo::{Bootstrap, DubboProtocol, Invocation, RpcError, Value};

/// A service ported from Go: its methods keep their exported Go names on the wire.
#[oxidubbo::service(interface = "org.example.GoGreeter", method_names = "go")]
pub trait GoGreeter {
    async fn say_hello(&self, name: String) -> Result<String, RpcError>;
    /// A rename wins over `method_names`.
    #[oxidubbo(name = "count")]
    async fn count_words(&self, text: String) -> Result<i32, RpcError>;
}

/// The same interface as a Java consumer sees it.
#[oxidubbo::service(interface = "org.example.GoGreeter")]
pub trait GoGreeterJavaNames {
    async fn say_hello(&self, name: String) -> Result<String, RpcError>;
}

/// A service named the Java way.
#[oxidubbo::service(interface = "org.example.JavaGreeter")]
pub trait JavaGreeter {
    async fn say_hello(&self, name: String) -> Result<String, RpcError>;
}

/// The same interface as a dubbo-go consumer (no `dubbo:"sayHello"` tag) calls it.
#[oxidubbo::service(interface = "org.example.JavaGreeter", method_names = "go")]
pub trait JavaGreeterGoNames {
    async fn say_hello(&self, name: String) -> Result<String, RpcError>;
}

struct Impl(&'static str);

#[oxidubbo::async_trait]
impl GoGreeter for Impl {
    async fn say_hello(&self, name: String) -> Result<String, RpcError> {
        Ok(format!("{} says hello to {name}", self.0))
    }
    async fn count_words(&self, text: String) -> Result<i32, RpcError> {
        Ok(text.split_whitespace().count() as i32)
    }
}

#[oxidubbo::async_trait]
impl JavaGreeter for Impl {
    async fn say_hello(&self, name: String) -> Result<String, RpcError> {
        Ok(format!("{} says hello to {name}", self.0))
    }
}

const APP: &str = "\
[application]
name = \"names\"

[protocols.dubbo]
port = 0

[protocols.tri]
port = 0

[services.go]
protocol = \"dubbo,tri\"

[services.java]
protocol = \"dubbo,tri\"
";

fn say(name: &'static str, who: &str) -> Invocation {
    Invocation::new(name, "Ljava/lang/String;", vec![Value::String(who.into())])
}

#[test]
fn the_names_are_pascal_case_with_method_names_go() {
    use oxidubbo::DubboService;
    assert_eq!(<dyn GoGreeter>::METHODS, ["SayHello", "count"]);
    assert_eq!(<dyn GoGreeterJavaNames>::METHODS, ["sayHello"]);
    assert_eq!(<dyn JavaGreeterGoNames>::METHODS, ["SayHello"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn go_and_java_names_call_each_other_over_dubbo_and_tri() {
    let mut builder = Bootstrap::from_config(Config::parse(APP, "names.toml").unwrap())
        .service::<dyn GoGreeter>("go", Arc::new(Impl("go")))
        .service::<dyn JavaGreeter>("java", Arc::new(Impl("java")))
        .dubbo_protocol(Arc::new(DubboProtocol::new()));
    for protocol in ["dubbo", "tri"] {
        let reference = |r: ReferenceConfig| ReferenceConfig {
            protocol: Some(protocol.into()),
            ..r
        };
        builder = builder
            .reference(
                format!("go-{protocol}"),
                reference(ReferenceConfig::of::<dyn GoGreeter>()),
            )
            .reference(
                format!("go-as-java-{protocol}"),
                reference(ReferenceConfig::of::<dyn GoGreeterJavaNames>()),
            )
            .reference(
                format!("java-{protocol}"),
                reference(ReferenceConfig::of::<dyn JavaGreeter>()),
            )
            .reference(
                format!("java-as-go-{protocol}"),
                reference(ReferenceConfig::of::<dyn JavaGreeterGoNames>()),
            );
    }
    let app = builder.start().await.unwrap();

    for protocol in ["dubbo", "tri"] {
        // Both spellings reach each provider.
        for (reference, who) in [
            (format!("go-{protocol}"), "go"),
            (format!("java-{protocol}"), "java"),
        ] {
            let invoker = app.invoker(&reference).unwrap();
            for name in ["SayHello", "sayHello"] {
                let result = invoker.invoke(say(name, "ann")).await;
                assert_eq!(
                    result.map(|r| r.value),
                    Ok(Value::from(format!("{who} says hello to ann"))),
                    "{name} on {reference}"
                );
            }
            // Only the first letter's case is forgiven.
            assert!(invoker.invoke(say("SAYHELLO", "ann")).await.is_err());
        }

        // Each trait's client calls its own name, which the other side answers.
        let go = app
            .client::<dyn GoGreeter>(&format!("go-{protocol}"))
            .unwrap();
        assert_eq!(
            go.say_hello("bo".into()).await.unwrap(),
            "go says hello to bo"
        );
        assert_eq!(go.count_words("a b c".into()).await.unwrap(), 3);
        let go_as_java = app
            .client::<dyn GoGreeterJavaNames>(&format!("go-as-java-{protocol}"))
            .unwrap();
        assert_eq!(
            go_as_java.say_hello("cy".into()).await.unwrap(),
            "go says hello to cy"
        );
        let java_as_go = app
            .client::<dyn JavaGreeterGoNames>(&format!("java-as-go-{protocol}"))
            .unwrap();
        assert_eq!(
            java_as_go.say_hello("di".into()).await.unwrap(),
            "java says hello to di"
        );
    }
    app.shutdown().await;
}
