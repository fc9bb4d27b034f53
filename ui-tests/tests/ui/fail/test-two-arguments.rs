#[retort::test(migrations = false)]
async fn two_arguments(pool: u8, other: u8) {
    let _ = (pool, other);
}

fn main() {}
