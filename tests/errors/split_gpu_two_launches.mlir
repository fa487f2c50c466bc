// expect: 12:7: error: cannot split '%t' by rows: a GPU task split by rows must hold one 'gpu.launch' and nothing else
// A split GPU task holds one gpu.launch.
func.func @main(%a: memref<20xf32>, %b: memref<20xf32>) {
  avial.schedule %a, %b : memref<20xf32>, memref<20xf32> {
    %gpu = avial.target {arch = "sm_90"}
    %t = avial.task %gpu reads(%a) writes(%b) {split = "rows"} {
      gpu.launch {
        %t = gpu.thread_id x
        %x = memref.load %a[%t] : memref<20xf32>
        memref.store %x, %b[%t] : memref<20xf32>
      }
      gpu.launch {
        %t = gpu.thread_id x
        %x = memref.load %a[%t] : memref<20xf32>
        memref.store %x, %b[%t] : memref<20xf32>
      }
      avial.yield
    }
  }
  return
}
