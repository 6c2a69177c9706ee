//! The quickstart: a greeter provider and a consumer in one process, talking dubbo over
//! loopback TCP. `cargo run -p oxidubbo-examples --bin quickstart`

use oxidubbo_examples::{
    GreeterClient, call_each_method, greeter_provider_url, init_logging, serve_greeter,
};
use oxidubbo_protocol::{DubboProtocol, Protocol};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    init_logging();
    let port = std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port();
    let protocol = DubboProtocol::global();
    let _exporter = serve_greeter(protocol, greeter_provider_url(port)).await?;
    println!(
        "provider: org.apache.dubbo.samples.api.GreeterService:1.0.0 on dubbo://127.0.0.1:{port}"
    );
    let invoker = protocol.refer(greeter_provider_url(port)).await?;
    let problems = call_each_method(&GreeterClient::new(invoker)).await;
    protocol.destroy().await;
    println!("destroyed: {:?}", protocol.counts());
    if problems > 0 {
        return Err(format!("{problems} call(s) went wrong").into());
    }
    Ok(())
}
