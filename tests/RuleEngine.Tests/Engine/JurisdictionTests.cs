using System.Text;
using FraudShield.Contracts;
using FraudShield.Contracts.Alerts.V1;
using FraudShield.Ingest.Events;
using FraudShield.RuleEngine.Engine;
using FraudShield.RuleEngine.State;
using static FraudShield.RuleEngine.Tests.EngineHarness;

namespace FraudShield.RuleEngine.Tests.Engine;

public sealed class JurisdictionTests
{
    private const string Victim = "8613800138000";
    private const string Scammer = "+442071234567";

    [Fact]
    public void Alert_LatestCallServedByCellOfOtherStation_HomeFromAddressCurrentFromCell()
    {
        using var h = NewHarness();
        h.Resident(Victim, station: "S01", grid: "S01-G01");

        CallWithCell(h, "cdr-1", Scammer, Victim, T0, 700, "INTERNATIONAL", "CELL-S05-7");

        var alert = Assert.Single(h.Alerts);
        Assert.Equal("S01", alert.Home.StationId);
        Assert.Equal(JurisdictionSource.Address, alert.Home.Source);
        Assert.NotNull(alert.Current);
        Assert.Equal("S05", alert.Current.StationId);
        Assert.Equal("S05-G02", alert.Current.GridId);
        Assert.Equal(JurisdictionSource.Cell, alert.Current.Source);
    }

    [Fact]
    public void Alert_CellOfHomeStation_NoCurrent()
    {
        using var h = NewHarness();
        h.Resident(Victim, station: "S01");

        CallWithCell(h, "cdr-1", Scammer, Victim, T0, 700, "INTERNATIONAL", "CELL-S01-1");

        Assert.Null(Assert.Single(h.Alerts).Current);
    }

    [Fact]
    public void Alert_UnknownCell_NoCurrent()
    {
        using var h = NewHarness();
        h.Resident(Victim, station: "S01");

        CallWithCell(h, "cdr-1", Scammer, Victim, T0, 700, "INTERNATIONAL", "CELL-NOWHERE");

        var alert = Assert.Single(h.Alerts);
        Assert.Equal(JurisdictionSource.Address, alert.Home.Source);
        Assert.Null(alert.Current);
    }

    [Theory]
    [InlineData(60, true)]
    [InlineData(119, true)]
    [InlineData(121, false)]
    [InlineData(180, false)]
    public void Alert_LaterAlertWithoutCell_CellCurrentOnlyWithinTwoHours(int minutesLater, bool current)
    {
        using var h = NewHarness();
        h.Resident(Victim, station: "S01");
        h.ListNumber("8617000000001");
        CallWithCell(h, "cdr-1", Scammer, Victim, T0, 700, "INTERNATIONAL", "CELL-S05-7");

        // A listed caller later on, on a record without a cell id: the cell of the earlier call is all the engine knows.
        var start = T0 + (700 * 1000L) + (minutesLater * Minute) - (120 * 1000L);
        h.Call("cdr-2", "8617000000001", Victim, start, 120, origin: "DOMESTIC");

        Assert.Equal(2, h.Alerts.Count);
        var later = h.Alerts[1];
        Assert.Contains("R02", later.RuleIds);
        if (current)
        {
            Assert.Equal("S05", later.Current?.StationId);
        }
        else
        {
            Assert.Null(later.Current);
        }
    }

    [Fact]
    public void Alert_MaxAgeConfigured_OlderCellStillCurrent()
    {
        using var h = NewHarness();
        h.Stores.Cells.MaxAge = TimeSpan.FromHours(4);
        h.Resident(Victim, station: "S01");
        h.ListNumber("8617000000001");
        CallWithCell(h, "cdr-1", Scammer, Victim, T0, 700, "INTERNATIONAL", "CELL-S05-7");

        h.Call("cdr-2", "8617000000001", Victim, T0 + (3 * Hour), 120, origin: "DOMESTIC");

        Assert.Equal("S05", h.Alerts[^1].Current?.StationId);
    }

    [Fact]
    public void Alert_TrackedPartyMovesToAnotherCell_LatestCellWins()
    {
        using var h = NewHarness();
        h.Resident(Victim, station: "S01");
        h.ListNumber("8617000000001");
        CallWithCell(h, "cdr-1", Scammer, Victim, T0, 700, "INTERNATIONAL", "CELL-S01-1");
        Assert.Null(h.Alerts[0].Current);

        // A routine call of a party the engine already tracks moves their serving cell; an older record arriving after it
        // (within the lateness) does not.
        CallWithCell(h, "cdr-2", "8613700000001", Victim, T0 + (20 * Minute), 30, "DOMESTIC", "CELL-S05-7");
        CallWithCell(h, "cdr-3", "8613700000002", Victim, T0 + (19 * Minute), 30, "DOMESTIC", "CELL-S01-1");
        h.Call("cdr-4", "8617000000001", Victim, T0 + (40 * Minute), 120, origin: "DOMESTIC");

        var later = h.Alerts[^1];
        Assert.Equal("S05", later.Current?.StationId);
        Assert.Equal(JurisdictionSource.Cell, later.Current?.Source);
    }

    [Fact]
    public void Alert_UnregisteredPartyAway_HomeAreaFallbackAndCellCurrent()
    {
        using var h = NewHarness();

        CallWithCell(h, "cdr-1", Scammer, Victim, T0, 700, "INTERNATIONAL", "CELL-S05-7");

        var alert = Assert.Single(h.Alerts);
        Assert.Equal(JurisdictionSource.HomeArea, alert.Home.Source);
        Assert.Equal("S05", alert.Current?.StationId);
    }

    [Fact]
    public void Alert_InboundCall_CounterpartFactsNameCallerAndPresentedNumber()
    {
        using var h = NewHarness();
        h.Resident(Victim);
        h.Feed(Topics.Calls, $$"""{"event_id":"cdr-1","calling":"{{Scammer}}","presented":"+8613900000009","called":"{{Victim}}","direction":"IN","start_ms":{{T0}},"end_ms":{{T0 + 700_000}},"duration_s":700,"answered":true,"origin":"INTERNATIONAL"}""");

        var facts = Assert.Single(h.Alerts).Evidence.Facts;
        Assert.Equal("442071234567", facts["counterpart_msisdn"]);
        Assert.Equal("8613900000009", facts["counterpart_presented_msisdn"]);
    }

    [Fact]
    public void Alert_CallBackToListedNumber_CounterpartIsDialledNumber()
    {
        using var h = NewHarness();
        h.Resident(Victim);
        h.ListNumber("8617000000001");

        h.Call("cdr-1", Victim, "8617000000001", T0, 30, origin: "DOMESTIC", direction: "OUT");

        Assert.Equal("8617000000001", Assert.Single(h.Alerts).Evidence.Facts["counterpart_msisdn"]);
    }

    [Fact]
    public void ApplyCell_Tombstone_RemovesCell()
    {
        using var h = NewHarness();
        using var tables = new TableApplier(h.Stores);
        Assert.Equal(2, h.Stores.Cells.Count);

        Assert.True(tables.ApplyCell("CELL-S05-7"u8, default, tombstone: true, out _));

        Assert.Equal(1, h.Stores.Cells.Count);
        Assert.False(h.Stores.Cells.TryGet("CELL-S05-7"u8, out _));
        Assert.True(h.Stores.Cells.TryGet("CELL-S01-1"u8, out var home));
        Assert.Equal("S01", h.Stores.Strings[home.Station]);
    }

    [Theory]
    [InlineData("""{"station_id":"S05"}""", RejectReason.MissingField, "cell_id")]
    [InlineData("""{"cell_id":"C1"}""", RejectReason.MissingField, "station_id")]
    [InlineData("""{"cell_id":"C1","station_id":""}""", RejectReason.MissingField, "station_id")]
    [InlineData("""{"cell_id":7,"station_id":"S05"}""", RejectReason.WrongType, "cell_id")]
    [InlineData("""["C1"]""", RejectReason.NotAnObject, "")]
    [InlineData("""{"cell_id":"C1","station_id":"S05"}x""", RejectReason.InvalidJson, "")]
    [InlineData("""{"cell_id":"C1","station_id":""", RejectReason.InvalidJson, "")]
    public void CellRecordTryParse_BadInput_ReasonAndField(string json, RejectReason reason, string field)
    {
        Assert.False(CellRecord.TryParse(Encoding.UTF8.GetBytes(json), out _, out var error));
        Assert.Equal(reason, error.Reason);
        Assert.Equal(field, error.Field);
    }

    [Fact]
    public void CellRecordTryParse_OptionalAndUnknownFields_Parsed()
    {
        Assert.True(CellRecord.TryParse("""{"cell_id":"C1","station_id":"S05","extra":{"a":[1]},"area":"Harbour","grid_id":null}"""u8, out var cell, out _));
        Assert.Equal(new CellRecord("C1", "S05", "", "Harbour"), cell);
    }

    private static EngineHarness NewHarness()
    {
        var h = new EngineHarness();
        using var tables = new TableApplier(h.Stores);
        Assert.True(tables.ApplyCell(default, """{"cell_id":"CELL-S05-7","station_id":"S05","grid_id":"S05-G02","area":"Harbour"}"""u8, tombstone: false, out var e1), e1.ToString());
        Assert.True(tables.ApplyCell(default, """{"cell_id":"CELL-S01-1","station_id":"S01","grid_id":"S01-G01"}"""u8, tombstone: false, out var e2), e2.ToString());
        return h;
    }

    private static void CallWithCell(EngineHarness h, string id, string from, string to, long startMs, int seconds, string origin, string cell) =>
        h.Feed(Topics.Calls, $$"""{"event_id":"{{id}}","calling":"{{from}}","called":"{{to}}","direction":"IN","start_ms":{{startMs}},"end_ms":{{startMs + (seconds * 1000L)}},"duration_s":{{seconds}},"answered":true,"origin":"{{origin}}","cell_id":"{{cell}}"}""", startMs + (seconds * 1000L));
}
