// expect: 1:1: error: no 'avial.schedule' in the file; avial2c translates one schedule per file
// A file without an avial.schedule has nothing to translate.
