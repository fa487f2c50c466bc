// expect: 8:7: error: cannot split '%t' by rows: the 20 threads of this 'gpu.launch' are not whole rows of 3
// The row length a store uses (3) must divide the launch's 20 threads.
func.func @main(%a: memref<20xf32>, %b: memref<20xf32>) {
  avial.schedule %a, %b : memref<20xf32>, memref<20xf32> {
    %gpu = avial.target {arch = "sm_90"}
    %t = avial.task %gpu reads(%a) writes(%b) {split = "rows"} {
      %c3 = arith.constant 3 : index
      gpu.launch {
        %t = gpu.thread_id x
        %i = arith.divui %t, %c3 : index
        %x = memref.load %a[%t] : memref<20xf32>
        memref.store %x, %b[%i] : memref<20xf32>
      }
      avial.yield
    }
  }
  return
}
