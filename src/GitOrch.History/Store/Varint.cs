namespace GitOrch.History.Store;

/// <summary>LEB128 unsigned varints: the compact integers of version chunks and deltas.</summary>
internal static class Varint
{
    public ref struct Writer(int capacity)
    {
        private byte[] _buffer = new byte[Math.Max(capacity, 16)];
        private int _length;

        public readonly int Length => _length;

        public void Write(ulong value)
        {
            Ensure(10);
            while (value >= 0x80)
            {
                _buffer[_length++] = (byte)(value | 0x80);
                value >>= 7;
            }

            _buffer[_length++] = (byte)value;
        }

        public void Write(ReadOnlySpan<byte> bytes)
        {
            Ensure(bytes.Length);
            bytes.CopyTo(_buffer.AsSpan(_length));
            _length += bytes.Length;
        }

        public void WriteByte(byte value)
        {
            Ensure(1);
            _buffer[_length++] = value;
        }

        public readonly ReadOnlySpan<byte> Written => _buffer.AsSpan(0, _length);

        public readonly byte[] ToArray() => _buffer.AsSpan(0, _length).ToArray();

        private void Ensure(int more)
        {
            if (_length + more > _buffer.Length)
            {
                Array.Resize(ref _buffer, Math.Max(_buffer.Length * 2, _length + more));
            }
        }
    }

    public ref struct Reader(ReadOnlySpan<byte> data)
    {
        private readonly ReadOnlySpan<byte> _data = data;
        private int _at;

        public readonly bool End => _at >= _data.Length;

        public ulong ReadUInt64()
        {
            ulong value = 0;
            for (var shift = 0; shift < 64; shift += 7)
            {
                if (_at >= _data.Length)
                {
                    throw new InvalidDataException("a version chunk ends inside a number");
                }

                var b = _data[_at++];
                value |= (ulong)(b & 0x7f) << shift;
                if (b < 0x80)
                {
                    return value;
                }
            }

            throw new InvalidDataException("a version chunk holds a number longer than 64 bits");
        }

        public byte ReadByte() => _at < _data.Length ? _data[_at++] : throw new InvalidDataException("a version chunk ends early");

        public ReadOnlySpan<byte> ReadBytes(int length)
        {
            if (length < 0 || _at + length > _data.Length)
            {
                throw new InvalidDataException("a version chunk ends inside a value");
            }

            var slice = _data.Slice(_at, length);
            _at += length;
            return slice;
        }
    }
}
