#[oxidubbo::service(interface = "com.example.Greeter")]
pub trait Greeter {
    async fn say_hello(&self, name: String) -> Result<String, oxidubbo::RpcError>;
    #[oxidubbo(name = "sayHello")]
    async fn hello(&self, name: String) -> Result<String, oxidubbo::RpcError>;
}

fn main() {}
