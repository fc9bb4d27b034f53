#[retort::test(migration = Migrations)]
async fn misspelled(pool: u8) {
    let _ = pool;
}

#[retort::test(migrations = true)]
async fn true_is_the_default(pool: u8) {
    let _ = pool;
}

fn main() {}
