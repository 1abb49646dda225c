      * Benchmark record with an OCCURS DEPENDING ON table: 267 bytes at most.
       01  BENCH-ODO-REC.
           05  REC-KBN             PIC X.
           05  KOSEKI-NO           PIC 9(8).
           05  KOJIN-NO            PIC 9(10).
           05  UJI                 PIC N(10).
           05  MEI                 PIC N(10).
           05  UJI-KANA            PIC X(20).
           05  MEI-KANA            PIC X(20).
           05  BIRTH-YMD           PIC 9(8).
           05  SEX-CD              PIC X.
           05  ZOKUGARA-CD         PIC X(2).
           05  FEE-AMOUNT          PIC S9(9)V99 COMP-3.
           05  ENTRY-COUNT         PIC S9(4) COMP.
           05  HONSEKI             PIC N(30).
           05  HIST-CNT            PIC 9.
           05  HISTORY             OCCURS 0 TO 3 TIMES
                                   DEPENDING ON HIST-CNT.
               10  HIST-YMD        PIC 9(8).
               10  HIST-CD         PIC X(2).
               10  HIST-AMT        PIC S9(7) COMP-3.
           05  UPDATED-AT          PIC 9(14).
           05  FILLER              PIC X(32).
