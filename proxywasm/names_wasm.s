#include "textflag.h"

// func nextIn(b []byte, n, i, off int, set uint64) (next, at int)
//
// nextInGo, line for line, in structured WebAssembly: the loop and its exits are the VM's own
// branches, not Go's dispatch table. Registers: R0 &b[0], R1 len(b), R2 n, R3 i, R4 off,
// R5 set, R6 key length, R7 value length, R8 end of the pair, R9 &b[8i].
TEXT ·nextIn(SB), NOSPLIT, $0-72
	I64Load b_base+0(FP)
	Set R0
	I64Load b_len+8(FP)
	Set R1
	I64Load n+24(FP)
	Set R2
	I64Load i+32(FP)
	Set R3
	I64Load off+40(FP)
	Set R4
	I64Load set+48(FP)
	Set R5

	Block
		Loop
			// for ; i < n; i++
			Get R3
			Get R2
			I64GeS
			BrIf $1

			// kl, vl := the lengths of pair i (its table entry is at 4+8i)
			Get R0
			Get R3
			I64Const $3
			I64Shl
			I64Add
			Set R9
			Get R9
			I32WrapI64
			I64Load32U $4
			Set R6
			Get R9
			I32WrapI64
			I64Load32U $8
			Set R7

			// end := off + kl + vl + 2; if end > len(b): return n, off
			Get R4
			Get R6
			I64Add
			Get R7
			I64Add
			I64Const $2
			I64Add
			Set R8
			Get R8
			Get R1
			I64GtU
			If
				Get R2
				Set R3
				Br $2
			End

			// if kl > 0 && set>>nameBit(kl, b[off+kl-1])&1 != 0: return i, off
			Get R6
			I64Eqz
			I32Eqz
			If
				Get R5
				Get R6
				Get R0
				Get R4
				I64Add
				Get R6
				I64Add
				I64Const $1
				I64Sub
				I32WrapI64
				I64Load8U $0
				I64Const $3
				I64Mul
				I64Add
				I64Const $63
				I64And
				I64ShrU
				I64Const $1
				I64And
				I32WrapI64
				BrIf $2
			End

			// off = end
			Get R8
			Set R4
			Get R3
			I64Const $1
			I64Add
			Set R3
			Br $0
		End
	End

	Get SP
	Get R3
	I64Store next+56(FP)
	Get SP
	Get R4
	I64Store at+64(FP)
	RET
