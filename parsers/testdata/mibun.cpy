000100*================================================================*
000200* 身分事項レコード (test fixture, 20 elementary fields)          *
000300* 可変長 (RDW) : 事項明細は OCCURS DEPENDING ON                  *
000400*================================================================*
000500 01  MIBUN-REC.
000600     05  MB-REC-KBN              PIC X(01) VALUE 'M'.
000700         88  MB-IS-MIBUN                   VALUE 'M'.
000800     05  MB-KOSEKI-NO            PIC 9(08).
000900     05  MB-KOJIN-NO             PIC S9(09)  COMP-3.
001000     05  MB-SHIMEI.
001100         10  MB-UJI              PIC N(10).
001200         10  MB-MEI              PIC N(10).
001300     05  MB-KANA                 PIC X(20).
001400     05  MB-SEIBETSU             PIC X(01).
001500         88  MB-MALE                       VALUE '1'.
001600         88  MB-FEMALE                     VALUE '2'.
001700     05  MB-BIRTH-YMD            PIC 9(08).
001800     05  MB-BIRTH-PARTS REDEFINES MB-BIRTH-YMD.
001900         10  MB-BIRTH-YYYY       PIC 9(04).
002000         10  MB-BIRTH-MM         PIC 9(02).
002100         10  MB-BIRTH-DD         PIC 9(02).
002200     05  MB-ZOKUGARA             PIC X(02).
002300     05  MB-TESURYO              PIC S9(05)V99 COMP-3.
002400     05  MB-BALANCE              PIC S9(07)V99
002500                                 SIGN IS LEADING SEPARATE.
002600     05  MB-RATE                 PIC SV9(04) COMP-3.
002700     05  MB-SEQ                  PIC 9(04)   COMP.
002800     05  MB-FLAGS                PIC X(01) OCCURS 3 TIMES.
002900     05  FILLER                  PIC X(05).
003000     05  MB-JIKO-CNT             PIC S9(04)  BINARY.
003100     05  MB-JIKO OCCURS 0 TO 10 TIMES
003200             DEPENDING ON MB-JIKO-CNT
003300             INDEXED BY MB-JX.
003400         10  MB-JIKO-CD          PIC X(03).
003500         10  MB-JIKO-YMD         PIC 9(08).
003600         10  MB-JIKO-TEXT        PIC N(08).
003700 66  MB-NAME-ALL RENAMES MB-UJI THRU MB-MEI.
