#[oxidubbo::service(interface = "com.example.Greeter")]
pub trait Greeter {
    async fn say_hello(&mut self, name: String) -> Result<String, oxidubbo::RpcError>;
}

fn main() {}
