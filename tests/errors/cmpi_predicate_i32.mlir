// expect: 8:35: error: 'predicate' of 'arith.cmpi' must be an i64 from 0 to 9, not '1 : i32'
// The predicate of a generic arith.cmpi is an i64 (0 is eq, 1 is ne, ...).
avial.schedule %a : memref<4xi1> {
  %cpu = avial.target {arch = "x86_64"}
  %t1 = avial.task %cpu writes(%a) {
    %c0 = arith.constant 0 : index
    %c1 = arith.constant 1 : i32
    %y = "arith.cmpi"(%c1, %c1) <{predicate = 1 : i32}> : (i32, i32) -> i1
    memref.store %y, %a[%c0] : memref<4xi1>
  }
}
