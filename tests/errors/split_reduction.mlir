// expect: 13:12: error: cannot split '%t' by rows: a task split by rows cannot reduce over its rows ('scf.parallel' with init values)
// A reduction combines all rows: it cannot be split.
func.func @main(%a: memref<8x4xf32>, %b: memref<8x4xf32>) {
  avial.schedule %a, %b : memref<8x4xf32>, memref<8x4xf32> {
    %cpu = avial.target {arch = "x86_64"}
    %t = avial.task %cpu reads(%a, %b) writes(%b) {split = "rows"} {
      %c0 = arith.constant 0 : index
      %c1 = arith.constant 1 : index
      %c2 = arith.constant 2 : index
      %c4 = arith.constant 4 : index
      %c8 = arith.constant 8 : index
      %zero = arith.constant 0.0 : f32
      %s = scf.parallel (%i) = (%c0) to (%c8) step (%c1) init (%zero) -> f32 {
        %x = memref.load %a[%i, %c0] : memref<8x4xf32>
        scf.reduce(%x : f32) {
        ^bb0(%l: f32, %r: f32):
          %n = arith.addf %l, %r : f32
          scf.reduce.return %n : f32
        }
      }
      memref.store %s, %b[%c0, %c0] : memref<8x4xf32>
      avial.yield
    }
  }
  return
}
