// expect: 12:14: error: cannot split '%t' by rows: a 'gpu.launch' split by rows may use only its global thread index (gpu.thread_id x), not the other ids or sizes of the launch
// A split launch may use only its global thread index: the grid changes
// with the split, so its sizes and block ids would mean something else.
func.func @main(%a: memref<20xf32>, %b: memref<20xf32>) {
  avial.schedule %a, %b : memref<20xf32>, memref<20xf32> {
    %gpu = avial.target {arch = "sm_90"}
    %t = avial.task %gpu reads(%a) writes(%b) {split = "rows"} {
      gpu.launch {
        %t = gpu.thread_id x
        %n = gpu.block_dim x
        %x = memref.load %a[%t] : memref<20xf32>
        %f = arith.index_cast %n : index to i32
        %g = arith.sitofp %f : i32 to f32
        %y = arith.addf %x, %g : f32
        memref.store %y, %b[%t] : memref<20xf32>
      }
      avial.yield
    }
  }
  return
}
