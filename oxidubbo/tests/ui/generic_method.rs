#[oxidubbo::service(interface = "com.example.Greeter")]
pub trait Greeter {
    async fn say_hello<T>(&self, name: T) -> Result<String, oxidubbo::RpcError>;
}

fn main() {}
