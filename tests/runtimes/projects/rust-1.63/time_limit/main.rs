fn main() {
    let mut n: u64 = 0;
    loop {
        // A volatile write keeps the optimiser from removing the loop.
        unsafe { std::ptr::write_volatile(&mut n, n.wrapping_add(1)) };
    }
}
