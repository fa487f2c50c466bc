// expect: 7:10: error: 'arith.fptoui' cannot convert f32 to index
avial.schedule %a, %b : memref<4xf32>, memref<4xindex> {
  %cpu = avial.target {arch = "x86_64"}
  %t1 = avial.task %cpu reads(%a) writes(%b) {
    %c0 = arith.constant 0 : index
    %x = memref.load %a[%c0] : memref<4xf32>
    %y = arith.fptoui %x : f32 to index
    memref.store %y, %b[%c0] : memref<4xindex>
  }
}
