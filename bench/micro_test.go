package bench
import ("testing";"github.com/kojihq/koji-edge/host";"github.com/kojihq/koji-edge/internal/wasmbuild")
func BenchmarkMicro(b *testing.B){
 h,err:=host.New(wasmbuild.Read(b,wasmbuild.Module(b,"./bench/testdata/micro")),host.Options{Workers:1}); if err!=nil{b.Fatal(err)}
 for _,f:=range []string{"micro_empty","micro_sha","micro_apply","micro_strmap","micro_digestmap","micro_intmap"}{ b.Run(f,func(b *testing.B){ h.Worker(0).CallExport(f,uint64(b.N)) })}
}
