// expect: 3:38: error: invalid type 'memref<4xi32, 0, affine_map<(d0) -> (d0)>>': the memory space must come after the layout
// In a memref type the layout comes first and the memory space last.
avial.schedule %a : memref<4xi32, 0, affine_map<(d0) -> (d0)>> {
  %cpu = avial.target {arch = "x86_64"}
  %t1 = avial.task %cpu writes(%a) {
    %c0 = arith.constant 0 : index
    %c1 = arith.constant 1 : i32
    memref.store %c1, %a[%c0] : memref<4xi32, 0, affine_map<(d0) -> (d0)>>
  }
}
