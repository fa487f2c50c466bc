// expect: 13:9: error: cannot split '%t' by rows: a 'gpu.launch' split by rows must store at the thread's row: gpu.thread_id x itself, or it divided by the length of a row (arith.divui by a constant)
// Each thread must store at its own row.
func.func @main(%a: memref<20xf32>, %b: memref<20xf32>) {
  avial.schedule %a, %b : memref<20xf32>, memref<20xf32> {
    %gpu = avial.target {arch = "sm_90"}
    %t = avial.task %gpu reads(%a) writes(%b) {split = "rows"} {
      %c1 = arith.constant 1 : index
      %c19 = arith.constant 19 : index
      gpu.launch {
        %t = gpu.thread_id x
        %x = memref.load %a[%t] : memref<20xf32>
        %u = arith.minui %t, %c19 : index
        memref.store %x, %b[%u] : memref<20xf32>
      }
      avial.yield
    }
  }
  return
}
