//! The Web Worker's entry point (trunk builds this binary with `data-type="worker"`).

fn main() {
    console_error_panic_hook::set_once();
    ntk_lab::worker::start();
}
