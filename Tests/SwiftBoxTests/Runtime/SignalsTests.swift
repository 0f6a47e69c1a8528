import Testing
import SwiftBox

@Suite struct SignalsTests {
    @Test func parsesNamesAndNumbers() {
        #expect(Signals.parse("TERM") == 15)
        #expect(Signals.parse("SIGKILL") == 9)
        #expect(Signals.parse("hup") == 1)
        #expect(Signals.parse("9") == 9)
        #expect(Signals.parse("RTMIN+2") == 36)
        #expect(Signals.parse("BOGUS") == nil)
        #expect(Signals.parse("65") == nil)
    }
}
