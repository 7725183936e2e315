//! Without a usable adapter (simulated with an adapter name that matches nothing), the library
//! works on the CPU, `gpu::available()` is false, and forcing the GPU is a clear error.

use swath::gpu;
use swath::prelude::*;

#[test]
fn no_adapter_is_not_an_error_unless_the_gpu_is_forced() {
    // SAFETY: the only test of this binary, run before anything else reads the environment.
    unsafe { std::env::set_var("SWATH_ADAPTER", "no-such-adapter-anywhere") };
    assert!(!gpu::available());
    assert!(gpu::adapter_info().is_none());
    let reason = gpu::unavailable_reason().expect("a reason");
    assert!(
        reason.contains("no-such-adapter-anywhere") || reason.contains("no GPU adapter"),
        "{reason}"
    );

    let df = Frame::new([("x", Column::from(vec![1.0f32, 2.0, 3.0]))]).expect("frame");
    let exprs = || [col("x").sum().alias("s")];
    for backend in [Backend::Cpu, Backend::Auto] {
        let out = df
            .select_with(exprs(), &ExecOptions::new().backend(backend))
            .expect("cpu");
        assert_eq!(
            out.column("s").expect("s").get(0).expect("v"),
            Scalar::F32(6.0)
        );
    }
    match df.select_with(exprs(), &ExecOptions::new().backend(Backend::Gpu)) {
        Err(Error::BackendUnavailable(message)) => assert!(message.contains("GPU"), "{message}"),
        other => panic!("expected BackendUnavailable, got {other:?}"),
    }
}
