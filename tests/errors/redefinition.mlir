// expect: 7:5: error: redefinition of value '%x'
// %x is defined twice in the same body.
avial.schedule %a, %b : memref<4xi32>, memref<4xi32> {
  %cpu = avial.target {arch = "x86_64"}
  %t1 = avial.task %cpu reads(%a) writes(%b) {
    %x = memref.load %a[0] : memref<4xi32>
    %x = arith.addi %x, %x : i32
    memref.store %x, %b[0] : memref<4xi32>
  }
}
