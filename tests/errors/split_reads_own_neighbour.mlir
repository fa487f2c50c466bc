// expect: 14:14: error: cannot split '%t' by rows: a task split by rows may read '%b', which it writes, only at its own rows (another block writes the others)
// Reading a row of %b another block writes would race.
func.func @main(%a: memref<8x4xf32>, %b: memref<8x4xf32>) {
  avial.schedule %a, %b : memref<8x4xf32>, memref<8x4xf32> {
    %cpu = avial.target {arch = "x86_64"}
    %t = avial.task %cpu reads(%a, %b) writes(%b) {split = "rows"} {
      %c0 = arith.constant 0 : index
      %c1 = arith.constant 1 : index
      %c2 = arith.constant 2 : index
      %c4 = arith.constant 4 : index
      %c8 = arith.constant 8 : index
      scf.parallel (%i, %j) = (%c1, %c0) to (%c8, %c4) step (%c1, %c1) {
        %im = arith.subi %i, %c1 : index
        %x = memref.load %b[%im, %j] : memref<8x4xf32>
        memref.store %x, %b[%i, %j] : memref<8x4xf32>
      }
      avial.yield
    }
  }
  return
}
