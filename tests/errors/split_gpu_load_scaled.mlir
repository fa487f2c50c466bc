// expect: 16:14: error: cannot split '%t' by rows: the row index of this load of '%a' depends on gpu.thread_id x other than as gpu.thread_id x / 4 + constant
// In a 2-D launch the row is gpu.thread_id x / 4; a row index (%t / 4) * 2
// is not that row plus a constant.
func.func @main(%a: memref<4x4xf32>, %b: memref<4x4xf32>) {
  avial.schedule %a, %b : memref<4x4xf32>, memref<4x4xf32> {
    %gpu = avial.target {arch = "sm_90"}
    %t = avial.task %gpu reads(%a) writes(%b) {split = "rows"} {
      %c2 = arith.constant 2 : index
      %c4 = arith.constant 4 : index
      gpu.launch {
        %t = gpu.thread_id x
        %i = arith.divui %t, %c4 : index
        %j = arith.remui %t, %c4 : index
        %k = arith.muli %i, %c2 : index
        %h = arith.remui %k, %c4 : index
        %x = memref.load %a[%h, %j] : memref<4x4xf32>
        memref.store %x, %b[%i, %j] : memref<4x4xf32>
      }
      avial.yield
    }
  }
  return
}
