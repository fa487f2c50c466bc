// expect: 3:35: error: invalid type 'memref<4xi32, affine_map<(d0, d1) -> (d0, d1)>>': its layout map has 2 dimension(s), but the memref has rank 1
// A memref's layout map has one dimension per dimension of the memref.
avial.schedule %a : memref<4xi32, affine_map<(d0, d1) -> (d0, d1)>> {
  %cpu = avial.target {arch = "x86_64"}
  %t1 = avial.task %cpu writes(%a) {
    %c0 = arith.constant 0 : index
    %c1 = arith.constant 1 : i32
    memref.store %c1, %a[%c0] : memref<4xi32, affine_map<(d0, d1) -> (d0, d1)>>
  }
}
