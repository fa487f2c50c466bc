// expect: 6:18: error: integer literal 70000 is out of range for i16
// A seed-form literal takes the type of what it meets: here i16, too small.
avial.schedule %a : memref<4xi16> {
  %cpu = avial.target {arch = "x86_64"}
  %t1 = avial.task %cpu reads() writes(%a) {
    memref.store 70000, %a[0] : memref<4xi16>
  }
}
