// expect: 11:7: error: cannot split '%t' by rows: only a terse 'gpu.launch { ... }' (one thread per element of what it stores into) can be split by rows, not a launch with another grid
// Only a terse gpu.launch (or the one-block form it stands for) splits by
// rows: this launch has a grid of 2 x 2 blocks of its own.
func.func @main(%a: memref<10x2xf32>, %b: memref<10x2xf32>) {
  avial.schedule %a, %b : memref<10x2xf32>, memref<10x2xf32> {
    %gpu = avial.target {arch = "sm_90"}
    %t = avial.task %gpu reads(%a) writes(%b) {split = "rows"} {
      %c1 = arith.constant 1 : index
      %c2 = arith.constant 2 : index
      %c5 = arith.constant 5 : index
      gpu.launch blocks(%bx, %by, %bz) in (%gx = %c2, %gy = %c2, %gz = %c1)
                 threads(%tx, %ty, %tz) in (%sx = %c5, %sy = %c1, %sz = %c1) {
        %r = arith.muli %bx, %c5 : index
        %i = arith.addi %r, %tx : index
        %x = memref.load %a[%i, %by] : memref<10x2xf32>
        memref.store %x, %b[%i, %by] : memref<10x2xf32>
        gpu.terminator
      }
      avial.yield
    }
  }
  return
}
