//! The page's entry point (trunk builds this binary into the page's wasm).

fn main() {
    ntk_lab::start();
}
