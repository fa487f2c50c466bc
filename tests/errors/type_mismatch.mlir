// expect: 10:12: error: type mismatch: operands and results of 'arith.addi' must have the same type, found i32 and f32
// arith.addi on an i32 and an f32.
func.func @main(%a: memref<4xi32>, %f: memref<4xf32>, %b: memref<4xi32>) {
  avial.schedule %a, %f, %b : memref<4xi32>, memref<4xf32>, memref<4xi32> {
    %cpu = avial.target {arch = "x86_64"}
    %t1 = avial.task %cpu reads(%a, %f) writes(%b) {
      %c0 = arith.constant 0 : index
      %x = memref.load %a[%c0] : memref<4xi32>
      %y = memref.load %f[%c0] : memref<4xf32>
      %z = arith.addi %x, %y : i32
      memref.store %z, %b[%c0] : memref<4xi32>
    }
  }
  return
}
