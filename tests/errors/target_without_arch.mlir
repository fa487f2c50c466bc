// expect: 4:10: error: 'avial.target' needs an 'arch' attribute, e.g. {arch = "x86_64"}
// A target needs an arch.
avial.schedule %a : memref<4xi32> {
  %cpu = avial.target {name = "host"}
}
