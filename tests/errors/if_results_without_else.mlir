// expect: 8:10: error: 'scf.if' with results needs an 'else' region
// An scf.if that yields values yields them on both branches.
avial.schedule %a : memref<4xi32> {
  %cpu = avial.target {arch = "x86_64"}
  %t1 = avial.task %cpu writes(%a) {
    %c0 = arith.constant 0 : index
    %true = arith.constant true
    %r = scf.if %true -> i32 {
      %c7 = arith.constant 7 : i32
      scf.yield %c7 : i32
    }
    memref.store %r, %a[%c0] : memref<4xi32>
  }
}
