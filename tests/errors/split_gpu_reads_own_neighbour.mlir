// expect: 12:14: error: cannot split '%t' by rows: a task split by rows may read '%b', which it writes, only at its own rows (another block writes the others)
// A launch split by rows may not read another block's rows of what it writes.
func.func @main(%a: memref<20xf32>, %b: memref<20xf32>) {
  avial.schedule %a, %b : memref<20xf32>, memref<20xf32> {
    %gpu = avial.target {arch = "sm_90"}
    %t = avial.task %gpu reads(%b) writes(%b) {split = "rows"} {
      %c1 = arith.constant 1 : index
      %c19 = arith.constant 19 : index
      gpu.launch {
        %t = gpu.thread_id x
        %n = arith.addi %t, %c1 : index
        %x = memref.load %b[%n] : memref<20xf32>
        memref.store %x, %b[%t] : memref<20xf32>
      }
      avial.yield
    }
  }
  return
}
