// expect: 4:29: error: expected '=' after the attribute name 'arch', e.g. {arch = "x86_64"}; found '"x86_64"'
// Attribute entries are written 'name = value'.
avial.schedule %a : memref<4xi32> {
  %cpu = avial.target {arch "x86_64"}
}
