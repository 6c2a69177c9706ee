struct NotJava;

#[oxidubbo::service(interface = "com.example.Greeter")]
pub trait Greeter {
    async fn say_hello(&self, name: NotJava) -> Result<String, oxidubbo::RpcError>;
}

fn main() {}
