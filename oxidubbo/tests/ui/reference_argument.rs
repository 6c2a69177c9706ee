#[oxidubbo::service(interface = "com.example.Greeter")]
pub trait Greeter {
    async fn say_hello(&self, name: &str) -> Result<String, oxidubbo::RpcError>;
}

fn main() {}
