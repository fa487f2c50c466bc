// Tasks that write several memrefs, a task that reads nothing, and i1 data.
//
//   %table  : reads() -- initialises the lookup table %lut from constants alone
//             (eight stores, no loop)                                  level 0
//   %spread : reads %src and %lut, writes three memrefs of different element
//             types in one loop: %b8 (i8, wraps), %h16 (i16, flattened 1-D,
//             wraps) and %d64 (f64)                                    level 1
//   %mask   : writes the i1 memref %big = (%src > 5) with arith.cmpi   level 0
//   %pick   : reads the i1 mask and %b8: %sel = big ? b8 : -b8 (i8)    level 2
//
// src[i][j] is 1..11 (the default input), lut = [3, -1, 4, -1, 5, -9, 2, -6].
func.func @main(%src: memref<8x8xi32>, %lut: memref<8xi32>, %b8: memref<8x8xi8>, %h16: memref<64xi16>, %d64: memref<8x8xf64>, %big: memref<8x8xi1>, %sel: memref<8x8xi8>) {
  avial.schedule %src, %lut, %b8, %h16, %d64, %big, %sel : memref<8x8xi32>, memref<8xi32>, memref<8x8xi8>, memref<64xi16>, memref<8x8xf64>, memref<8x8xi1>, memref<8x8xi8> {
    %cpu = avial.target {arch = "x86_64"}

    %table = avial.task %cpu reads() writes(%lut) {
      %c0 = arith.constant 0 : index
      %c1 = arith.constant 1 : index
      %c2 = arith.constant 2 : index
      %c3 = arith.constant 3 : index
      %c4 = arith.constant 4 : index
      %c5 = arith.constant 5 : index
      %c6 = arith.constant 6 : index
      %c7 = arith.constant 7 : index
      %v0 = arith.constant 3 : i32
      %v1 = arith.constant -1 : i32
      %v2 = arith.constant 4 : i32
      %v4 = arith.constant 5 : i32
      %v5 = arith.constant -9 : i32
      %v6 = arith.constant 2 : i32
      %v7 = arith.constant -6 : i32
      memref.store %v0, %lut[%c0] : memref<8xi32>
      memref.store %v1, %lut[%c1] : memref<8xi32>
      memref.store %v2, %lut[%c2] : memref<8xi32>
      memref.store %v1, %lut[%c3] : memref<8xi32>
      memref.store %v4, %lut[%c4] : memref<8xi32>
      memref.store %v5, %lut[%c5] : memref<8xi32>
      memref.store %v6, %lut[%c6] : memref<8xi32>
      memref.store %v7, %lut[%c7] : memref<8xi32>
      avial.yield
    }

    %spread = avial.task %cpu reads(%src, %lut) writes(%b8, %h16, %d64) {
      %c0 = arith.constant 0 : index
      %c1 = arith.constant 1 : index
      %c8 = arith.constant 8 : index
      %k37 = arith.constant 37 : i32
      %k5000 = arith.constant 5000 : i32
      %eighth = arith.constant 1.250000e-01 : f64
      scf.parallel (%i, %j) = (%c0, %c0) to (%c8, %c8) step (%c1, %c1) {
        %s = memref.load %src[%i, %j] : memref<8x8xi32>
        %l = memref.load %lut[%j] : memref<8xi32>
        %sl = arith.muli %s, %l : i32
        %sl37 = arith.muli %sl, %k37 : i32
        %byte = arith.trunci %sl37 : i32 to i8
        memref.store %byte, %b8[%i, %j] : memref<8x8xi8>
        %s5000 = arith.muli %s, %k5000 : i32
        %short = arith.trunci %s5000 : i32 to i16
        %row = arith.muli %i, %c8 : index
        %flat = arith.addi %row, %j : index
        memref.store %short, %h16[%flat] : memref<64xi16>
        %sf = arith.sitofp %sl : i32 to f64
        %scaled = arith.mulf %sf, %eighth : f64
        memref.store %scaled, %d64[%i, %j] : memref<8x8xf64>
      }
      avial.yield
    }

    %mask = avial.task %cpu reads(%src) writes(%big) {
      %c0 = arith.constant 0 : index
      %c1 = arith.constant 1 : index
      %c8 = arith.constant 8 : index
      %five = arith.constant 5 : i32
      scf.parallel (%i, %j) = (%c0, %c0) to (%c8, %c8) step (%c1, %c1) {
        %s = memref.load %src[%i, %j] : memref<8x8xi32>
        %gt = arith.cmpi sgt, %s, %five : i32
        memref.store %gt, %big[%i, %j] : memref<8x8xi1>
      }
      avial.yield
    }

    %pick = avial.task %cpu reads(%big, %b8) writes(%sel) {
      %c0 = arith.constant 0 : index
      %c1 = arith.constant 1 : index
      %c8 = arith.constant 8 : index
      %zero = arith.constant 0 : i8
      scf.parallel (%i, %j) = (%c0, %c0) to (%c8, %c8) step (%c1, %c1) {
        %m = memref.load %big[%i, %j] : memref<8x8xi1>
        %v = memref.load %b8[%i, %j] : memref<8x8xi8>
        %neg = arith.subi %zero, %v : i8
        %r = arith.select %m, %v, %neg : i8
        memref.store %r, %sel[%i, %j] : memref<8x8xi8>
      }
      avial.yield
    }
  }
  return
}
