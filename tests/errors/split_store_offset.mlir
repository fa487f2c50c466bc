// expect: 15:9: error: cannot split '%t' by rows: a task split by rows must store into '%b' at row %i itself (its first index)
// A split task stores at its own row %i only.
func.func @main(%a: memref<8x4xf32>, %b: memref<8x4xf32>) {
  avial.schedule %a, %b : memref<8x4xf32>, memref<8x4xf32> {
    %cpu = avial.target {arch = "x86_64"}
    %t = avial.task %cpu reads(%a, %b) writes(%b) {split = "rows"} {
      %c0 = arith.constant 0 : index
      %c1 = arith.constant 1 : index
      %c2 = arith.constant 2 : index
      %c4 = arith.constant 4 : index
      %c8 = arith.constant 8 : index
      scf.parallel (%i, %j) = (%c0, %c0) to (%c4, %c4) step (%c1, %c1) {
        %x = memref.load %a[%i, %j] : memref<8x4xf32>
        %ip = arith.addi %i, %c1 : index
        memref.store %x, %b[%ip, %j] : memref<8x4xf32>
      }
      avial.yield
    }
  }
  return
}
