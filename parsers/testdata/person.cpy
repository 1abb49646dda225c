      *----------------------------------------------------------------*
      * Test fixture: one person record of a Fujitsu-style 中間ファイル.  *
      * PIC X in EBCDIK, PIC N in JEF (koseki dump --encoding jef).     *
      *----------------------------------------------------------------*
       01  PERSON-REC.
           05  REC-KIND            PIC X.
               88  DETAIL-REC      VALUE 'D'.
           05  PERSON-ID           PIC 9(8).
           05  SHIMEI              PIC N(6).
           05  SHIMEI-KANA         PIC X(12).
           05  BIRTH-DATE          PIC 9(8).
           05  FEE-AMOUNT          PIC S9(7)V99 COMP-3.
           05  CHILD-COUNT         PIC S9(4) COMP.
           05  CHILD               OCCURS 3 TIMES.
               10  CHILD-NAME      PIC N(4).
               10  CHILD-BIRTH     PIC 9(8).
           05  FILLER              PIC X(4).
