// expect: 5:31: error: expected a value such as '%a', found 'a': values are written with a leading '%'
// SSA values start with '%'.
avial.schedule %a, %b : memref<4xi32>, memref<4xi32> {
  %cpu = avial.target {arch = "x86_64"}
  %t1 = avial.task %cpu reads(a) writes(%b) {
  }
}
