#[retort::test(migrations = false)]
fn not_async(pool: u8) {
    let _ = pool;
}

fn main() {}
