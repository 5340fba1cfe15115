mod greet;
mod mathutil;

fn main() {
    println!("add(3, 4) = {}", mathutil::add(3, 4));
    println!("{}", greet::greeting(greet::NAME));
}
