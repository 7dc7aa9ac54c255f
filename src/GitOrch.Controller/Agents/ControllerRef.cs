namespace GitOrch.Controller.Agents;

/// <summary>The controller, for services the web host creates before the controller is open.</summary>
internal sealed class ControllerRef
{
    private ControllerService? _value;

    public ControllerService Value
    {
        get => _value ?? throw new InvalidOperationException("the controller is not open yet");
        set => _value = value;
    }
}
