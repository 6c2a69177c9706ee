#[oxidubbo::service(version = "1.0.0")]
pub trait Greeter {
    async fn say_hello(&self, name: String) -> Result<String, oxidubbo::RpcError>;
}

fn main() {}
