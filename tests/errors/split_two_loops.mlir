// expect: 16:7: error: cannot split '%t' by rows: a task split by rows must hold one 'scf.parallel' and nothing else
// A split task is one scf.parallel and nothing else.
func.func @main(%a: memref<8x4xf32>, %b: memref<8x4xf32>) {
  avial.schedule %a, %b : memref<8x4xf32>, memref<8x4xf32> {
    %cpu = avial.target {arch = "x86_64"}
    %t = avial.task %cpu reads(%a, %b) writes(%b) {split = "rows"} {
      %c0 = arith.constant 0 : index
      %c1 = arith.constant 1 : index
      %c2 = arith.constant 2 : index
      %c4 = arith.constant 4 : index
      %c8 = arith.constant 8 : index
      scf.parallel (%i, %j) = (%c0, %c0) to (%c8, %c4) step (%c1, %c1) {
        %x = memref.load %a[%i, %j] : memref<8x4xf32>
        memref.store %x, %b[%i, %j] : memref<8x4xf32>
      }
      scf.for %k = %c0 to %c4 step %c1 {
        %y = memref.load %a[%k, %c0] : memref<8x4xf32>
        memref.store %y, %b[%k, %c1] : memref<8x4xf32>
      }
      avial.yield
    }
  }
  return
}
