// expect: 10:9: error: cannot split '%t' by rows: a 'gpu.launch' split by rows cannot use 'gpu.barrier' (workgroup memory and barriers belong to blocks of threads, which a split changes)
// Barriers belong to blocks of threads, which a split changes.
func.func @main(%a: memref<20xf32>, %b: memref<20xf32>) {
  avial.schedule %a, %b : memref<20xf32>, memref<20xf32> {
    %gpu = avial.target {arch = "sm_90"}
    %t = avial.task %gpu reads(%a) writes(%b) {split = "rows"} {
      gpu.launch {
        %t = gpu.thread_id x
        %x = memref.load %a[%t] : memref<20xf32>
        gpu.barrier
        memref.store %x, %b[%t] : memref<20xf32>
      }
      avial.yield
    }
  }
  return
}
