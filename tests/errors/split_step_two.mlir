// expect: 12:7: error: cannot split '%t' by rows: the first dimension of a split 'scf.parallel' must have step 1
// Blocks of rows need step 1 on the first dimension.
func.func @main(%a: memref<8x4xf32>, %b: memref<8x4xf32>) {
  avial.schedule %a, %b : memref<8x4xf32>, memref<8x4xf32> {
    %cpu = avial.target {arch = "x86_64"}
    %t = avial.task %cpu reads(%a, %b) writes(%b) {split = "rows"} {
      %c0 = arith.constant 0 : index
      %c1 = arith.constant 1 : index
      %c2 = arith.constant 2 : index
      %c4 = arith.constant 4 : index
      %c8 = arith.constant 8 : index
      scf.parallel (%i, %j) = (%c0, %c0) to (%c8, %c4) step (%c2, %c1) {
        %x = memref.load %a[%i, %j] : memref<8x4xf32>
        memref.store %x, %b[%i, %j] : memref<8x4xf32>
      }
      avial.yield
    }
  }
  return
}
